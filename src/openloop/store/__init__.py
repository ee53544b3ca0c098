"""Stores: the control plane (relational) and the data plane (analytical), each behind a
protocol. Nothing outside this package imports a database driver."""
