"""Editing: cutting media. ``smart_cut`` re-encodes only the partial GOPs at a cut's ends;
``clips`` plans and cuts one clip. Reels (many clips joined) land here next."""
