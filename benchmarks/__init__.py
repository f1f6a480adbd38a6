"""Speed and memory measurements (`make bench`). Never part of `make test`."""
