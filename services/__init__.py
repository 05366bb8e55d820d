"""The four Sinmun services, and the bootstrap and command line that run them."""
