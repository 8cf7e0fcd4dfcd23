"""Reading datasets from disk: video decoding and (later) readers, preprocessing and the frame store."""
