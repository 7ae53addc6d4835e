# src/card: rules for this directory (included from the top Makefile.am)
