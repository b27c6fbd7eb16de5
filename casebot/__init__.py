"""The composition root: the Bolt app wiring, the server and the command line; it may import every layer."""
