"""Editing: cutting media. ``smart_cut`` re-encodes only the partial GOPs at a cut's ends
(``parameter_sets`` and ``transport_stream`` carry the copied picture); ``clips`` plans and
cuts one clip; ``reel_parts`` chooses a reel's parts, each ending between sentences
(``sentence_bounds``), and ``reels`` joins them, read back before they count
(``reel_check``); ``compose`` draws title cards and subtitles (``captions``) on a reel;
``names`` gives downloads a person's names."""
