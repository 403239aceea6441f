"""The page's colours and words where Gradio's own fall short of WCAG 2 AA (axe-core, run on
every tab by tests/e2e/test_web.py): the theme mount_web hands to Gradio, and the texts of
Gradio's upload box."""

from __future__ import annotations

import gradio as gr

# The sign-in pages' blue (app/static/web/sign-in.css), in shades. White on 600 is 7.1 : 1 and
# on 700 9.4 : 1; Gradio's orange gave 2.8 : 1 (500) and 3.55 : 1 (600, hovered).
VIDSCOPE_BLUE = gr.themes.Color(
    c50="#eef1fb",
    c100="#dfe6ff",
    c200="#c3cef7",
    c300="#9aabf0",
    c400="#6b82e3",
    c500="#4563d8",
    c600="#2b4acb",
    c700="#1f3aa8",
    c800="#1b3189",
    c900="#1a2c6e",
    c950="#111c45",
    name="vidscope-blue",
)

THEME = gr.themes.Default(primary_hue=VIDSCOPE_BLUE).set(
    button_primary_background_fill="*primary_600",
    button_primary_background_fill_hover="*primary_700",
    button_primary_border_color="*primary_600",
    button_primary_border_color_hover="*primary_700",
    button_primary_text_color="white",
    # Delete ("stop"): Gradio's #ef4444 gives white text 3.8 : 1; red 700 gives 6.5 : 1.
    button_cancel_background_fill="#b91c1c",
    button_cancel_background_fill_hover="#991b1b",
    button_cancel_text_color="white",
    # Gradio's subdued text (the upload box's "or", hints) is neutral 400: 1.9 : 1 on white.
    # Neutral 600 is 7.7 : 1.
    body_text_color_subdued="*neutral_600",
    block_label_text_color="*neutral_600",
    block_title_text_color="*neutral_600",
)

# The upload box is a button named "Click to upload or drop files" (Gradio's fixed
# aria-label) showing "Drop File Here - or - Click to Upload": a speech-input user saying the
# words they see would not reach it (WCAG 2.5.3, label in name). Its visible words are made
# the name's own, in the name's order.
UPLOAD_WORDS = gr.I18n(
    en={
        "upload_text.drop_file": "Click to upload",
        "common.or": "or",
        "upload_text.click_to_upload": "drop files",
    }
)
