"""Measured CPU cycles of one prediction of the integer kernel on the simulated boards.

What the latency model (firmware/cycles.py) is fitted to and checked against: a quantised model is
built for the Uno (avr-gcc, -DBINGO_EXACT_CYCLES: interrupts off while the model computes) and run
in simavr, and built for the Pico and run in rp2040js; the mean cycles between the protocol's
marks (model compute only, not the parsing of the text) over the given samples are returned.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from bingo_studio.errors import UserError


def uno_cycles(qmodel, x: np.ndarray, work: Path) -> float:
    """Mean cycles per prediction of ``qmodel`` (a QModel, int8) on the simulated Uno."""
    from bingo_studio.firmware.avr_gcc import avr_build
    from bingo_studio.firmware.codegen import write_sources
    from bingo_studio.firmware.protocol_client import LineReader, ask, format_features, open_port, wait_ready
    from bingo_studio.firmware.quantize import reference_predict
    from bingo_studio.firmware.simulator import SimulatedUno

    src = Path(work) / "src"
    write_sources(qmodel, src)
    _, _, elf = avr_build(src, Path(work) / "build", defines=("BINGO_EXACT_CYCLES",))
    classes = []
    with SimulatedUno(elf) as sim, open_port(sim.port) as ser:
        reader = LineReader(ser)
        wait_ready(reader, 30)
        for row in x:
            reply = ask(reader, format_features(row), timeout=120)
            if reply.error:
                raise UserError(f"The simulated Uno answered: err {reply.error}")
            classes.append(reply.cls)
        cycles = sim.wait_cycles(len(x), timeout=60)[: len(x)]
    if not np.array_equal(classes, reference_predict(qmodel, x)):
        raise UserError("The simulated Uno disagrees with the Python reference of the same model")
    return float(np.mean(cycles))


def pico_cycles(qmodel, x: np.ndarray, work: Path) -> float:
    """Mean cycles per prediction of ``qmodel`` on the simulated Pico (RP2040, Cortex-M0+)."""
    from bingo_studio.firmware.pico_build import build_for_pico
    from bingo_studio.firmware.quantize import reference_predict
    from bingo_studio.firmware.simulated_pico import predict_on_pico

    build = build_for_pico(qmodel, Path(work))
    classes, cycles = predict_on_pico(build.bin, x)
    if not np.array_equal(classes, reference_predict(qmodel, x)):
        raise UserError("The simulated Pico disagrees with the Python reference of the same model")
    return float(np.mean(cycles))
