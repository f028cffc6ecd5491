"""Inside a trained network: one image followed through every layer (activations by summary
row), the exact computation behind any conv or pool cell, where the network looks (saliency and
Grad-CAM) and how little it takes to fool it (FGSM). torch is imported inside the functions."""
