"""Vision: what a video shows rather than says. ``frames`` walks a video's pictures and keeps
one still each time the picture settles into something new, ``ocr`` reads the text in a
still (RapidOCR's ONNX models, shipped inside its wheel), ``screen_text`` turns the reads
into timed passages — the ``screen`` source that search indexes beside speech."""
