# src/p11: rules for this directory (included from the top Makefile.am)
