"""Deploy services shared by the command line and the window: export a run as firmware, build and
flash it through a target (bingo_studio.targets), and test the model on the device.

Both faces call these functions; the CLI draws their progress on a terminal, the window runs them
in a worker (gui.workers) and shows the same lines and the same one-line failures.
"""
