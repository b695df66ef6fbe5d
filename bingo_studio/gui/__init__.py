"""BINGO Studio's window (PySide6 + pyqtgraph): a thin face on the Qt-free engine.

One widget a file, each declaring its inputs and outputs at the top; long work runs in workers,
never on the Qt thread, started through a page's workers.TaskSlot (one current task, the engine's
TaskState for progress and cancel). Deploying goes through the same services as the CLI
(bingo_studio.deploy, bingo_studio.targets).
"""
