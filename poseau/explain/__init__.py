"""What the networks look at: gradient saliency maps (the paper's Fig. 3)."""
