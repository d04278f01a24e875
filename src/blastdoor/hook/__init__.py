"""The hook path in one place: what a harness runs before each tool call, start to end.

    client.py   the thin client the installed launcher runs (``python -I -S``): ask the server over its
                unix socket; on a miss start the per-user server (``launch.py``) and decide in-process
    wire.py     the socket format, both halves: the client's request and reply parsing, the server's
                request parsing and reply encoding (``server/api.py`` only routes to it)
    launch.py   socket activation: start ``blastdoor serve --idle-exit`` detached, once (a lock file)
    runner.py   one hook call decided: payload -> the harness's adapter -> pipeline -> the adapter's reply

Importing this package imports nothing: the thin client must cost little more than the interpreter.
"""
