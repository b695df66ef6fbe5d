"""Plain-word explanations of BINGO terms, shown as tooltips for people new to pruning."""

SIGNIFICANCE = (
    "Significance: how much a weight matters, measured while training. With the default (train-time) "
    "estimate the axis is a power of ten: the weight's size times how much the loss reacts to it, on a "
    "log10 scale, so one step to the right means 10x more important (-3 is 10x more than -4). With the "
    "paper's score it is how much accuracy changed when BINGO briefly reset the weight. The least "
    "significant weights are removed first. After the epochs, while the ladder of pruned networks grows, "
    "the title gives the share of all weights pruned, each layer's legend its own share, and each area "
    "shrinks to the share of its layer still kept."
)
PRUNING = (
    "Pruning removes weights (connections) the network hardly uses, so the model gets smaller and "
    "fits on a small board. Removed weights are stored as nothing at all in the firmware."
)
MIN_ACCURACY = (
    "Minimum accuracy: the lowest validation accuracy you accept. BINGO removes the least significant "
    "weights until removing more would drop accuracy below this line."
)
LOTTERY = (
    "During training BINGO scores every weight. After the first quarter of training it adds up how much each "
    "weight matters from the gradients training already computes, and tries 'lottery tickets': it removes "
    "small random groups of weights (each 1% of them) for a moment, measures the change on held-out data, "
    "and uses that to check the scores. Training itself is not changed. (The paper's original score, "
    "'paper' in the estimator box, resets groups to their initial values and watches accuracy.)"
)
VALIDATION = (
    "Validation data: samples kept aside from training to measure accuracy honestly while choosing how "
    "much to prune. Test data is a third set, used only to report the final accuracy."
)
FIRMWARE_ACCURACY = (
    "Test accuracy of the int8 firmware for this network, computed as the board computes it (integer "
    "arithmetic, answer for answer): the number the board's 'info' line prints after export. It may differ a "
    "little from the network's own test accuracy above, which uses floating point."
)
FLASH = "Flash: the board's program memory. The firmware and the model's weights must fit in it."
RAM = "RAM: the board's working memory (an Arduino Uno has only 2 KB). Activations must fit in it."
EPOCH = (
    "Epoch: one pass over all training samples. Once validation stops improving for 2 epochs, the "
    "network of the best epoch is kept and the epochs left are spent pruning it: the ladder of smaller "
    "networks the slider chooses from."
)
HIDDEN = "Hidden layers: the widths of the layers between input and output, e.g. 32,16. Fewer = smaller."
SIMULATED_UNO = (
    "Simulated Uno: the real Uno firmware running in the simavr simulator on this computer, behind a "
    "serial port of its own. Try the whole flow without a board."
)
OFFLINE = (
    "Build the Uno/Nano firmware with this computer's avr-gcc and Arduino core: no internet or "
    "PlatformIO download needed."
)
SERIAL_PLOTTER = (
    "Lines of numbers separated by spaces, tabs or commas (optionally name:value) are plotted live, "
    "like the Arduino Serial Plotter."
)
MODEL_SIZE = (
    "Parameters: every weight and bias of the model. Prunable weights: the connections BINGO may remove "
    "(biases stay). The dense size is the model before pruning: 4 bytes a parameter as float32, about 1 "
    "byte a weight in the int8 tables the firmware stores."
)
BOARD_FIT = (
    "How much of each board's flash (program memory) and RAM (working memory) the firmware of this model "
    "would use before pruning, counting the board's own runtime. Red: too big; pruning (step 3) shrinks it."
)
ESTIMATOR = (
    "How BINGO measures each weight's significance during training.\n"
    "train-time (default): from the gradients training computes anyway (Taylor, OBD and magnitude "
    "estimates), checked by BINGO's random resets; after training the estimate that prunes most at your "
    "minimum accuracy is chosen on validation data.\n"
    "paper: the paper's formula exactly as written, S = (S + 1 - |A_before - A_after| / A_before) / 2, "
    "from resetting random 1% groups of weights to their starting values and watching validation accuracy. "
    "It prunes far less: measured on digits, 13% of the weights against 78% for train-time (MNIST-5k: 26% "
    "against 93%), and trains slower (1.39x plain training against 1.03x). Pick it to reproduce the paper."
)
LADDER_EFFORT = (
    "Pruning during training: after the dense epochs the run keeps pruning its network step by step, and "
    "retrains it after each step (the ladder). Every step's network is kept, with its own weights, for the "
    "slider to choose from.\n"
    "standard (default): about 1.5x the time of a plain training run.\n"
    "thorough: more retraining steps, about 2x the time; on small datasets the slider then reaches smaller "
    "networks at the same minimum accuracy (digits, 7 points under: about 180 weights kept instead of 320). "
    "Where the ladder already ends at its own limits (its deepest cut, or 10 points under), it changes little.\n"
    "off: no ladder; the slider prunes the trained network in one go, which keeps far more weights "
    "(digits: about 670)."
)
LOSS = (
    "Loss: how wrong the network's answers are on the training data (cross-entropy, averaged over the "
    "epoch). Lower is better; it should fall epoch after epoch."
)
ACCURACY_PLOT = (
    "Accuracy: the share of samples answered correctly (1.0 = all), on the training data (train) and on "
    "held-out validation data. Validation well below train means the network memorises its training data."
)
TRAIN_STATUS = (
    "Epoch: passes over the training data done so far. Loss: how wrong the answers are (lower is better). "
    "Validation accuracy: share of held-out samples answered correctly. Elapsed and ETA (estimated time "
    "left) are minutes:seconds. Dense accuracy: the trained network before any pruning."
)
