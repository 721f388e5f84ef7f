"""`make bench`: the load harness of issue 12 (bench/run.py); not part of the application."""
