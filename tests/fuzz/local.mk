# tests/fuzz: rules for this directory (included from the top Makefile.am)
