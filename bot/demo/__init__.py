"""`blastwall demo`: the whole incident in a browser, with AWS emulated locally."""
