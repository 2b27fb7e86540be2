"""The sandbox page: the built-in emulator drawn as two phones, a citizen's and a supervisor's.

A client of the emulator's control API, served to a browser: it knows nothing of tickets,
storage or handlers, only what a person at each phone sees and does.
"""
