# src/common: rules for this directory (included from the top Makefile.am)
