"""BINGO Studio's window (PySide6 + pyqtgraph): a thin face on the Qt-free engine.

One widget a file, each declaring its inputs and outputs at the top; long work runs in workers
(workers.Task wraps the engine's TaskState), never on the Qt thread.
"""
