"""Real servers for the tests, the example site and the benchmarks: MongoDB-wire, moto, nginx, faults.

Not part of the installed package: these start third-party servers on loopback ports for development.
"""
