"""ARSP (adaptive reservoir sampling pruning): reservoirs, a PPO agent that sizes them, the loop."""

from bingo_studio.arsp.loop import ACTIONS, ARSPConfig, ARSPResult, ReservoirEnv, arsp_search, run_arsp, static_masks
from bingo_studio.arsp.ppo import PPOAgent, PPOConfig, Trajectory
from bingo_studio.arsp.reservoir import keep_probabilities, loss_gradients, sample_reservoir

__all__ = [
    "ACTIONS", "ARSPConfig", "ARSPResult", "PPOAgent", "PPOConfig", "ReservoirEnv", "Trajectory", "arsp_search",
    "keep_probabilities", "loss_gradients", "run_arsp", "sample_reservoir", "static_masks",
]
