"""The BINGO Studio window: five steps in tabs, from a dataset to predictions on a board.

Inputs: none (``MainWindow()`` opens on digits); File > Open loads a saved project.
Outputs: a project folder (``project.json`` + ``run/`` + firmware folders) on Save; an autosave
folder is written while working, so quitting or a crash loses nothing trained.
"""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import Qt
from PySide6.QtGui import QAction, QKeySequence
from PySide6.QtWidgets import QFileDialog, QLabel, QMainWindow, QMessageBox, QTabWidget

from bingo_studio import __version__
from bingo_studio.errors import UserError
from bingo_studio.gui import project as projects
from bingo_studio.gui.console_page import ConsolePage
from bingo_studio.gui.data_page import DataPage
from bingo_studio.gui.deploy_page import DeployPage
from bingo_studio.gui.help_tour import HelpTour
from bingo_studio.gui.prune_page import PrunePage
from bingo_studio.gui.studio import Studio
from bingo_studio.gui.train_page import TrainPage
from bingo_studio.gui.workers import wait_all

ABOUT = f"""<h3>BINGO Studio {__version__}</h3>
<p>Train a small neural network, prune it with <b>BINGO</b>, and run it on an Arduino Uno/Nano,
ESP32 or Raspberry Pi Pico.</p>
<p>The method: A. Panangat, <i>BINGO: A Novel Pruning Mechanism to Reduce the Size of Neural
Networks</i>. During one training run BINGO resets random groups of weights to their starting
values, measures how much accuracy changes, and gives every weight a significance score; after
training it removes the least significant weights in one shot, as far as your minimum accuracy
allows.</p>
<p>Everything in this window is also a command: <code>bingo-studio --help</code>.</p>"""

STEPS = ("1 Data && model", "2 Train", "3 Prune", "4 Deploy", "5 Test on device")


class MainWindow(QMainWindow):
    def __init__(self):
        super().__init__()
        self.setWindowTitle("BINGO Studio")
        self.resize(1280, 800)
        self.studio = Studio(self)
        self.confirm_close = True  # tests switch the quit question off
        self.data_page = DataPage(self.studio)
        self.train_page = TrainPage(self.studio)
        self.prune_page = PrunePage(self.studio)
        self.deploy_page = DeployPage(self.studio)
        self.console_page = ConsolePage(self.studio)
        self.tabs = QTabWidget()
        for page, title in zip(self.pages(), STEPS):
            self.tabs.addTab(page, title)
        self.tabs.setTabToolTip(2, "Remove the weights BINGO found least significant")
        self.setCentralWidget(self.tabs)
        self.project_label = QLabel("")
        self.statusBar().addPermanentWidget(self.project_label)
        self.studio.status.connect(lambda m: self.statusBar().showMessage(m, 10_000))
        self.studio.run_changed.connect(self._run_changed)
        self.deploy_page.port_needed.connect(self._release_port)
        self.data_page.problem_changed.connect(self.train_page.set_dataset_problem)
        self.train_page.set_dataset_problem(self.data_page.problem)  # the first dataset is loading
        self.tour: HelpTour | None = None
        self._make_menus()
        self._show_project()

    def pages(self):
        return (self.data_page, self.train_page, self.prune_page, self.deploy_page, self.console_page)

    # -- menus and shortcuts -------------------------------------------------------------------------
    def _action(self, menu, text: str, slot, shortcut=None, tip: str = "") -> QAction:
        act = QAction(text, self)
        if shortcut is not None:
            act.setShortcut(QKeySequence(shortcut))
        act.setStatusTip(tip)
        act.triggered.connect(slot)
        menu.addAction(act)
        return act

    def _make_menus(self) -> None:
        bar = self.menuBar()
        f = bar.addMenu("&File")
        self._action(f, "&New project", self.new_project, QKeySequence.StandardKey.New)
        self._action(f, "&Open project...", self.open_project_dialog, QKeySequence.StandardKey.Open)
        self.recent_menu = f.addMenu("Open &recent")
        self.recent_menu.aboutToShow.connect(self._fill_recent)
        self._action(f, "&Save project", self.save_project, QKeySequence.StandardKey.Save)
        self._action(f, "Save project &as...", self.save_project_as, QKeySequence.StandardKey.SaveAs)
        f.addSeparator()
        self._action(f, "&Quit", self.close, QKeySequence.StandardKey.Quit)
        r = bar.addMenu("&Run")
        self._action(r, "&Train", self._train, "Ctrl+T", "Train with BINGO scoring")
        self._action(r, "&Cancel", self._cancel, "Esc", "Stop the running step")
        self._action(
            r, "&Build firmware", lambda: self._go(3, lambda: self.deploy_page.start("build")), "Ctrl+B"
        )
        self._action(r, "&Flash", lambda: self._go(3, lambda: self.deploy_page.start("flash")), "Ctrl+U")
        self._action(
            r, "Connect / disconnect &serial", lambda: self._go(4, self.console_page.toggle), "Ctrl+K"
        )
        self._action(
            r, "Run &test set on the board", lambda: self._go(4, self.console_page.run_test_set), "Ctrl+R"
        )
        v = bar.addMenu("&Go")
        for i, title in enumerate(STEPS):
            self._action(
                v, f"Step {title}", lambda _c=False, i=i: self.tabs.setCurrentIndex(i), f"Ctrl+{i + 1}"
            )
        h = bar.addMenu("&Help")
        self._action(
            h, "&Getting started", lambda: self.show_tour(self.tabs.currentIndex()),
            QKeySequence.StandardKey.HelpContents, "A short tour of the five steps, from this one",
        )
        self._action(h, "&About BINGO Studio", self.about)

    def _go(self, tab: int, fn) -> None:
        self.tabs.setCurrentIndex(tab)
        fn()

    def _train(self) -> None:
        self.tabs.setCurrentIndex(1)
        self.train_page.start()

    def _cancel(self) -> None:
        self.train_page.cancel()
        self.deploy_page.cancel()
        self.console_page.link.cancel_job()
        self.prune_page.compare_view.cancel()

    def about(self) -> None:
        QMessageBox.about(self, "About BINGO Studio", ABOUT)

    def show_tour(self, step: int = 0) -> HelpTour:
        """The getting-started tour at ``step``; each of its screens turns the window to that step."""
        if self.tour is None:
            self.tour = HelpTour(self)
            self.tour.step_shown.connect(self.tabs.setCurrentIndex)
        self.tour.go(step)
        self.tour.show()
        self.tour.raise_()
        return self.tour

    def _fill_recent(self) -> None:
        self.recent_menu.clear()
        items = projects.recent_projects()
        if not items:
            self.recent_menu.addAction("(none yet)").setEnabled(False)
        for path in items:
            self.recent_menu.addAction(path, lambda p=path: self.open_project(Path(p)))

    # -- projects ------------------------------------------------------------------------------------
    def state(self) -> dict:
        return {
            "data": self.data_page.state(),
            "train": self.train_page.state(),
            "prune": self.prune_page.state(),
            "deploy": self.deploy_page.state(),
            "console": self.console_page.state(),
            "tab": self.tabs.currentIndex(),
        }

    def save_project(self) -> bool:
        if self.studio.project_dir is None:
            return self.save_project_as()
        return self.save_to(self.studio.project_dir)

    def save_project_as(self) -> bool:
        folder = QFileDialog.getExistingDirectory(self, "Save the project in a folder", str(Path.home()))
        return bool(folder) and self.save_to(Path(folder))

    def save_to(self, folder: Path) -> bool:
        """Save the project into ``folder`` (the run is copied there if it lives elsewhere)."""
        try:
            projects.save_project(folder, self.state(), self.studio.work_dir, self.studio.run)
        except (UserError, OSError) as e:
            self._error(f"Could not save the project: {e}")
            return False
        self.studio.project_dir = Path(folder)
        self.studio.dirty = False
        self._show_project()
        self.statusBar().showMessage(f"Project saved in {folder}", 10_000)
        return True

    def open_project_dialog(self) -> None:
        folder = QFileDialog.getExistingDirectory(self, "Open a project folder", str(Path.home()))
        if folder:
            self.open_project(Path(folder))

    def open_project(self, folder: Path) -> bool:
        """Load, validate and copy the whole project into a new session first: on any problem the
        window keeps what it had, and says why in one line."""
        if not self._may_discard():
            return False
        previous = self.studio.autosave_dir
        self.studio.new_session()
        try:
            state, run = projects.load_project(folder, session=self.studio.work_dir)
        except (UserError, OSError) as e:
            self.studio.autosave_dir = previous
            self._error(f"Could not open {folder}: {e}")
            return False
        self._reset_pages()
        self.studio.project_dir = Path(folder)
        self.data_page.restore(state.get("data", {}))
        self.train_page.restore(state.get("train", {}))
        self.prune_page.restore(state.get("prune", {}))
        self.deploy_page.restore(state.get("deploy", {}))
        self.console_page.restore(state.get("console", {}))
        if run is not None:
            self.studio.config = run.config
            self.train_page.show_history(run.history)
            self.train_page.mark_kept_epoch(run)
            self.train_page.show_significance(
                {n: t.numpy().copy() for n, t in run.scorer.significance().items()}
            )
            self.studio.set_run(run, dirty=False)
            self.prune_page.restore(state.get("prune", {}))  # the floor, after set_run reset it
            self.train_page.status.setText(
                f"Opened a trained run ({run.status}, {len(run.history)} epochs): "
                f"dense test accuracy {run.metrics.get('dense_test_accuracy', 0):.1%}."
            )
        self.tabs.setCurrentIndex(int(state.get("tab", 0)))
        self._show_project()
        return True

    def new_project(self) -> None:
        if not self._may_discard():
            return
        self.studio.project_dir = None
        self.studio.new_session()  # the last project's autosave folder stays, as the question above promised
        self._reset_pages()
        self.tabs.setCurrentIndex(0)
        self._show_project()

    def _reset_pages(self) -> None:
        """Every page back to a new project's state, so none shows the last project (File > New, Open)."""
        self.data_page.reset()
        self.train_page.reset()
        self.studio.set_run(None, dirty=False)
        self._reset_later_steps()

    def _reset_later_steps(self) -> None:
        """Prune, Deploy and Test on device: no plan or firmware (Studio.set_run(None) above), no device
        of the last project running, no port held open, no old log or transcript."""
        self.deploy_page.reset()
        self.console_page.link.close()
        self.console_page.transcript.clear()
        self.studio.close_device()

    def _release_port(self, port: str) -> None:
        link = self.console_page.link
        if link.is_open() and link.port == port:
            link.close()

    def _run_changed(self) -> None:
        self._show_project()

    def _show_project(self) -> None:
        st = self.studio
        # short enough to leave the status bar's messages room at 1024 pixels; the full path on hover
        self.project_label.setText(f"Project: {st.project_dir.name}" if st.project_dir else "Project: not saved")
        self.project_label.setToolTip(
            str(st.project_dir) if st.project_dir else f"Not saved yet: the work is kept in {st.autosave_dir}"
        )
        self.setWindowTitle(f"BINGO Studio - {st.project_dir.name if st.project_dir else 'untitled'}")

    def _error(self, message: str) -> None:
        self.statusBar().showMessage(message, 15_000)
        if self.isVisible():  # not modal: a message never blocks the window or a test
            box = QMessageBox(
                QMessageBox.Icon.Warning, "BINGO Studio", message, QMessageBox.StandardButton.Ok, self
            )
            box.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
            box.open()

    def _may_discard(self) -> bool:
        """Ask before dropping a training in progress, or a trained run the user has not saved (it stays
        in the autosave folder)."""
        if self.confirm_close and self.train_page.is_training():
            answer = QMessageBox.question(
                self, "BINGO Studio", "A training is running. Stop it? (Its finished epochs are kept.)",
                QMessageBox.StandardButton.Yes | QMessageBox.StandardButton.No,
            )
            if answer != QMessageBox.StandardButton.Yes:
                return False
        if not (self.confirm_close and self.studio.dirty and self.studio.run is not None):
            return True
        answer = QMessageBox.question(
            self,
            "BINGO Studio",
            f"Save the trained model as a project first?\n(If not, it stays in {self.studio.autosave_dir}.)",
            QMessageBox.StandardButton.Save
            | QMessageBox.StandardButton.Discard
            | QMessageBox.StandardButton.Cancel,
        )
        if answer == QMessageBox.StandardButton.Save:
            return self.save_project()
        return answer == QMessageBox.StandardButton.Discard

    def autosave(self) -> None:
        """project.json beside the autosaved run, so File > Open can restore the session."""
        st = self.studio
        if st.run is not None and st.run.path is not None:
            try:
                projects.save_project(st.work_dir, self.state(), st.work_dir, st.run)
            except (UserError, OSError):
                pass

    def closeEvent(self, event) -> None:  # noqa: N802 - Qt's name
        if not self._may_discard():
            event.ignore()
            return
        self.shutdown()
        event.accept()

    def shutdown(self) -> None:
        """Stop every worker, process, serial port and simulator this window started."""
        if self.tour is not None:
            self.tour.close()
        self.train_page.cancel()
        self.deploy_page.shutdown()
        self.console_page.timer.stop()
        self.console_page.link.close()
        wait_all()
        self.autosave()
        self.studio.close_device()
