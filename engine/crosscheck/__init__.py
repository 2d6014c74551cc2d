"""`tranche evaluate --engine`: the evaluation's arms through the real engine on replay venues."""
