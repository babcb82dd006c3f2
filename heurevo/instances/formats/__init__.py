"""Instance file readers and writers (OPB, WBO, TSPLIB)."""
