"""Code every Sinmun service uses: event schemas, ports, adapters, settings. Imports no service."""
