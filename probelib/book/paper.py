"""Numbers reported by the papers, for side-by-side tables (ProbeGAN, AAAI 2022, Table 1 etc.)."""
from __future__ import annotations

__all__ = ["TABLE1_CIFAR10", "AUDIO_HUMAN_RECOGNITION", "WATERBIRDS_LAND_ACCURACY"]

#: ProbeGAN Table 1, CIFAR-10: (FID over all classes, intra-FID of the unseen class), Inception features
TABLE1_CIFAR10 = {
    "horse": {
        "biggan-all": (7.99, 14.20),
        "probegan-oracle": (6.67, 13.69),
        "biggan-am-regular": (168.4, 227.3),
        "naive-regular": (31.70, 101.7),
        "probegan-regular": (8.99, 91.35),
        "biggan-am-robust": (161.6, 223.3),
        "naive-robust": (48.92, 76.02),
        "probegan-robust": (8.39, 45.40),
    },
    "truck": {
        "biggan-all": (7.99, 17.37),
        "probegan-oracle": (6.67, 14.03),
        "biggan-am-regular": (114.1, 179.3),
        "naive-regular": (33.36, 118.5),
        "probegan-regular": (8.71, 105.99),
        "biggan-am-robust": (99.20, 161.5),
        "naive-robust": (56.47, 84.21),
        "probegan-robust": (8.80, 68.33),
    },
}

#: human recognition of generated audio (men / women / nonhuman), Fig. 7
AUDIO_HUMAN_RECOGNITION = {"men": 0.49, "women": 0.64, "nonhuman": 0.61}

#: Waterbirds, accuracy on waterbirds on land: ERM vs group DRO
WATERBIRDS_LAND_ACCURACY = {"erm": 0.308, "dro": 0.797}
