"""gpt2spec, the tool that runs the specification: ``gpt2spec new|grade|leaderboard|train|race|bench``."""
