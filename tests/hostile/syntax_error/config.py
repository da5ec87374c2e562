class GPTConfig(:
    pass
