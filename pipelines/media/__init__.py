"""Media: what a file *is* before anything is stored — its container sniffed from its bytes
(``intake``), its streams probed and checked whole (``probe``), its sound decoded
(``audio``), its pictures as stills (``thumbnails``), FFmpeg run as child processes
(``ffmpeg``) and the paths a person typed turned into files (``inputs``). Nothing here
touches the catalog."""
