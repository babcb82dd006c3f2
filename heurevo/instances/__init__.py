"""Instance file formats (OPB/WBO, TSPLIB, optima) and instance generators: the bottom layer."""
