"""The simulated Uno: real firmware in simavr, spoken to through pyserial on our own pty."""

from __future__ import annotations

import shutil

import numpy as np
import pytest
import serial
from firmware_helpers import train_pruned
from uno_sketches import built_echo, harness, session_dir

from bingo_studio.errors import UserError
from bingo_studio.firmware.protocol_client import parse_reply
from bingo_studio.firmware.simulator import SimulatedUno, build_harness

pytestmark = pytest.mark.usefixtures("simavr")


def echo_elf():
    return built_echo() / ".pio" / "build" / "uno" / "firmware.elf"


def test_harness_is_built_once_per_source_version():
    first = harness()
    assert first.name.startswith("harness-") and first.is_file()
    assert build_harness(session_dir() / "simavr") == first


def test_simulated_uno_answers_over_pyserial_and_counts_cycles():
    with SimulatedUno(echo_elf(), harness=harness()) as sim:
        assert sim.port.startswith("/dev/") and not sim.running  # in reset until the port is opened
        with serial.Serial(sim.port, 115200, timeout=5) as ser:
            assert ser.readline() == b"ready echo 1\r\n"
            for i in range(3):
                ser.write(b"1.5,2,%d\n" % i)
                assert ser.readline() == b"got 1.5,2,%d\r\n" % i
        cycles = sim.wait_cycles(3)
    assert len(cycles) == 3
    # the same loop with interrupts off costs exactly the same every time
    assert cycles[0] > 100 and len(set(cycles)) == 1
    assert sim.cycles_to_us(16_000) == pytest.approx(1000.0)


def _first_answer(ser) -> bytes:
    """The first 'got' line (boot='now' may lose the ready line to pyserial's flush on open)."""
    for _ in range(3):
        line = ser.readline()
        if line.startswith(b"got"):
            return line
    return b""


def test_two_simulators_have_their_own_ports():
    with SimulatedUno(echo_elf(), harness=harness(), boot="now") as a, \
            SimulatedUno(echo_elf(), harness=harness(), boot="now") as b:
        assert a.port != b.port and a.running and b.running
        with serial.Serial(a.port, 115200, timeout=5) as sa, serial.Serial(b.port, 115200, timeout=5) as sb:
            sa.write(b"from a\n")
            sb.write(b"from b\n")
            assert _first_answer(sa) == b"got from a\r\n"
            assert _first_answer(sb) == b"got from b\r\n"


def test_reset_restarts_the_firmware():
    with SimulatedUno(echo_elf(), harness=harness()) as sim:
        with serial.Serial(sim.port, 115200, timeout=5) as ser:
            assert ser.readline().startswith(b"ready")
            sim.reset()
            assert ser.readline().startswith(b"ready")
        assert sim.resets == 2


def test_missing_or_foreign_elf_is_a_user_error(tmp_path):
    with pytest.raises(UserError, match="build the project"):
        SimulatedUno(tmp_path / "firmware.elf", harness=harness())
    with pytest.raises(UserError, match="not AVR firmware"):
        SimulatedUno(shutil.which("gcc"), harness=harness())  # an x86-64/arm64 ELF


def test_parse_reply():
    r = parse_reply("pred 3 three 1234\r\n")
    assert (r.cls, r.label, r.us, r.error) == (3, "three", 1234, "")
    assert parse_reply("err expected 64 features, got 3").error == "expected 64 features, got 3"
    assert parse_reply("ready digits 64") is None


def test_simulated_uno_predicts_like_the_python_reference():
    """The generated firmware on a simulated ATmega328P answers the digits test split exactly as
    the Python model of the C kernel does; bad lines get `err` and the board keeps answering."""
    from uno_sketches import digits_project, digits_run

    from bingo_studio.deploy.export import firmware_model_for_run
    from bingo_studio.firmware.protocol_client import LineReader, ask, format_features, wait_ready
    from bingo_studio.firmware.quantize import quantize, reference_predict
    from bingo_studio.runs import load_run

    project = digits_project()
    fmodel = firmware_model_for_run(digits_run())
    ds = load_run(digits_run()).get_dataset()
    x = ds.x_test[:60]
    expected = reference_predict(quantize(fmodel, "int8"), x)
    with SimulatedUno(project / ".pio" / "build" / "uno" / "firmware.elf", harness=harness()) as sim:
        with serial.Serial(sim.port, 115200, timeout=10) as ser:
            reader = LineReader(ser)
            assert wait_ready(reader) == ("digits", 64)
            got = []
            for i, row in enumerate(x):
                if i == 7:  # malformed lines between samples
                    assert ask(reader, "1,2,3").error.startswith("too few values")
                    assert ask(reader, "hello").error.startswith("unknown command")
                    assert ask(reader, ",".join(["1"] * 63 + ["x"])).error
                reply = ask(reader, format_features(row))
                assert reply.error == "" and reply.label == ds.class_names[reply.cls]
                got.append(reply.cls)
            again = ask(reader, format_features(x[7]))  # sample 7 once more, no err line before it
        cycles = sim.wait_cycles(len(x) + 1)
    assert got == expected.tolist() and again.cls == got[7]
    # one count per answered sample, none for the err lines, whose partial work is not added to
    # the next sample: the same input costs the same cycles (interrupts are off while counting)
    assert len(cycles) == len(x) + 1 and min(cycles) > 1000
    assert cycles[7] == cycles[-1]


def test_realtime_mode_never_runs_ahead_of_the_wall_clock():
    """In realtime mode the firmware's millis() advance no faster than the host's clock (a board
    left open in the GUI idles instead of spinning a core at full speed)."""
    import time

    with SimulatedUno(echo_elf(), harness=harness(), realtime=True) as sim:
        with serial.Serial(sim.port, 115200, timeout=5) as ser:
            assert ser.readline().startswith(b"ready")
            start = time.monotonic()
            ser.write(b"t\n")
            first = int(ser.readline().split()[1])
            time.sleep(0.3)
            ser.write(b"t\n")
            second = int(ser.readline().split()[1])
            wall_ms = (time.monotonic() - start) * 1000
    assert 0 < second - first <= wall_ms + 10


# ---- the integer firmware keeps up with 115200 baud (no pacing) ---------------------------------
def _full_baud_answers(tmp_path, fm, x) -> list[int]:
    from bingo_studio.firmware.avr_gcc import avr_build
    from bingo_studio.firmware.codegen import write_sources
    from bingo_studio.firmware.protocol_client import LineReader, ask, wait_ready

    write_sources(fm, tmp_path / "src")
    _, _, elf = avr_build(tmp_path / "src", tmp_path / "build")  # interrupts on, as on a board
    answers = []
    with SimulatedUno(elf, harness=harness()) as sim, serial.Serial(sim.port, 115200, timeout=0.05) as ser:
        reader = LineReader(ser)
        wait_ready(reader, 30)
        for row in x:
            reply = ask(reader, ",".join(f"{float(v):.9g}" for v in row), timeout=30, pace_us=0)
            assert not reply.error, reply.error  # a lost byte shows as an error or a wrong count
            answers.append(reply.cls)
    return answers


def test_digits_test_split_at_full_baud_answers_like_the_reference(tmp_path, digits, digits_model):
    from bingo_studio.firmware.quantize import quantize, reference_predict

    dense = digits_model.with_masks([np.ones_like(la.mask) for la in digits_model.layers])
    answers = _full_baud_answers(tmp_path, dense, digits.x_test)  # a dense first layer: the slowest
    assert np.array_equal(answers, reference_predict(quantize(dense), digits.x_test))


def test_a_784_value_line_at_full_baud_is_answered(tmp_path):
    from bingo_studio.config import DatasetConfig
    from bingo_studio.data import load_dataset
    from bingo_studio.firmware.quantize import quantize, reference_predict
    from bingo_studio.firmware.spec import FirmwareModel

    mnist = load_dataset(DatasetConfig(name="mnist-5k"))
    model, masks = train_pruned(mnist, [128, 64], 0.9, epochs=30)
    fm = FirmwareModel.from_torch(model, mnist, masks, name="mnist")
    x = mnist.x_test[:8]
    assert np.array_equal(_full_baud_answers(tmp_path, fm, x), reference_predict(quantize(fm), x))
