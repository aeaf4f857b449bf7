"""zhujian (住建): regulatory platform for a city's Housing and Urban-Rural Development Bureau."""

__version__ = "0.1.0"
