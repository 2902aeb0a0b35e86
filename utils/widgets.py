"""Explorers: each is a plain function that does the work (tests call it directly) and a small
ipywidgets wrapper that calls it when a control changes. Every explorer prints a one-line summary
of what it computed, so a change is visible as text as well as in its figure."""

import ipywidgets as widgets

# --- 03 Learning rates ---

# --- 04 Overfitting ---

# --- 05 Convolutional networks ---

# --- 06 Data augmentation ---

# --- 07 Transfer learning ---
