"""The renderer of synthetic multi-view AU data: the ICT-FaceKit face model, expressions, looks, FERA layout."""
