"""FalkorDB adapter: the embedded server, the store, its statements and encodings."""
