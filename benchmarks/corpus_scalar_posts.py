"""The five posts' logged numbers, replayed as series (see ../shared/seeds/).

Transcribed from the posts' own Keras output:
- post 002 (datascience 49777): the progress-bar running means of the last
  updates of epoch 6 and of every update of epoch 7 (loss/acc), as the Keras
  TensorBoard callback would log them as `batch_*`, and the epoch values.
- post 003 (a question and answer on a sudden validation drop): all ten epochs.
- post 004 (crossvalidated 416172): all thirty-nine epochs logged.
Posts 000 and 001 print no series (only 0.5467, and 421/567 = 0.7425); the
demo runs reproduce them.  `tests/test_scalar_posts.py` imports this data.
"""
from __future__ import annotations

from typing import List

from benchmarks.corpus import Case, Expect, series
from tb_curvecheck.model import TagInfo

POST_002 = {
    # Epoch 6/50, last six progress-bar updates (samples seen, running loss, running acc).
    'epoch6_tail_samples': [3520, 3552, 3584, 3616, 3648, 3662],
    'epoch6_tail_loss': [0.1260, 0.1294, 0.1283, 0.1360, 0.1348, 0.1387],
    'epoch6_tail_acc': [0.9753, 0.9752, 0.9754, 0.9751, 0.9753, 0.9752],
    # Epoch 7/50, every progress-bar update (batch size 32, 3662 samples: 115 batches).
    'epoch7_samples':
        [32, 64, 96, 128, 160, 192, 224, 256, 288, 320, 352, 384, 416, 448, 480, 512, 544, 576,
         608, 640, 672, 704, 736, 768, 800, 832, 864, 896, 928, 960, 992, 1024, 1056, 1088,
         1120, 1152, 1184, 1216, 1248, 1280, 1312, 1344, 1376, 1408, 1440, 1472, 1504, 1536,
         1568, 1600, 1632, 1664, 1696, 1728, 1760, 1792, 1824, 1856, 1888, 1920, 1952, 1984,
         2016, 2048, 2080, 2112, 2144, 2176, 2208, 2240, 2272, 2304, 2336, 2368, 2400, 2432,
         2464, 2496, 2528, 2560, 2592, 2624, 2656, 2688, 2720, 2752, 2784, 2816, 2848, 2880,
         2912, 2944, 2976, 3008, 3040, 3072, 3104, 3136, 3168, 3200, 3232, 3264, 3296, 3328,
         3360, 3392, 3424, 3456, 3488, 3520, 3552, 3584, 3616, 3648, 3662],
    'epoch7_loss':
        [1.1921e-07, 1.1921e-07, 0.5037, 0.6296, 0.8059, 0.7555, 0.7915, 0.6926, 0.7276, 0.9570,
         1.0990, 1.1531, 1.1032, 1.2832, 1.3991, 1.4691, 1.4420, 1.5018, 1.4492, 1.3768, 1.3112,
         1.3431, 1.3066, 1.2941, 1.3431, 1.4464, 1.5980, 1.7568, 2.0263, 2.1434, 2.3017, 2.3557,
         2.5133, 2.6468, 2.8590, 2.9475, 3.1265, 3.2430, 3.3794, 3.4964, 3.5831, 3.7257, 3.8030,
         3.8883, 4.0369, 4.0587, 4.2081, 4.2673, 4.4167, 4.4895, 4.5694, 4.6074, 4.6916, 4.7726,
         4.8415, 4.8810, 4.9279, 4.9558, 4.9828, 4.9921, 4.9846, 5.0423, 5.1062, 5.1602, 5.1970,
         5.2022, 5.2449, 5.2937, 5.3337, 5.3295, 5.3538, 5.3843, 5.4072, 5.4022, 5.4510, 5.4853,
         5.5188, 5.5707, 5.5958, 5.6455, 5.6691, 5.7044, 5.7631, 5.7964, 5.8467, 5.8783, 5.8918,
         5.9279, 5.9405, 5.9640, 6.0037, 6.0260, 6.0370, 6.0639, 6.0743, 6.0897, 6.1048, 6.1351,
         6.1443, 6.1685, 6.1822, 6.1858, 6.1991, 6.2073, 6.2729, 6.2945, 6.2875, 6.3225, 6.3431,
         6.3633, 6.4058, 6.3980, 6.4217, 6.4537, 6.4730],
    'epoch7_acc':
        [1.0000, 1.0000, 0.9688, 0.9609, 0.9500, 0.9531, 0.9509, 0.9570, 0.9549, 0.9406, 0.9318,
         0.9271, 0.9303, 0.9174, 0.9104, 0.9062, 0.9081, 0.9045, 0.9079, 0.9125, 0.9167, 0.9148,
         0.9171, 0.9180, 0.9150, 0.9087, 0.8993, 0.8895, 0.8728, 0.8656, 0.8558, 0.8525, 0.8428,
         0.8346, 0.8214, 0.8160, 0.8049, 0.7977, 0.7893, 0.7820, 0.7767, 0.7679, 0.7631, 0.7578,
         0.7486, 0.7473, 0.7380, 0.7344, 0.7251, 0.7206, 0.7157, 0.7133, 0.7081, 0.7031, 0.6989,
         0.6964, 0.6935, 0.6918, 0.6901, 0.6896, 0.6901, 0.6865, 0.6825, 0.6792, 0.6769, 0.6766,
         0.6740, 0.6710, 0.6685, 0.6687, 0.6673, 0.6654, 0.6640, 0.6643, 0.6613, 0.6591, 0.6571,
         0.6538, 0.6523, 0.6492, 0.6478, 0.6456, 0.6419, 0.6399, 0.6368, 0.6348, 0.6340, 0.6317,
         0.6310, 0.6295, 0.6271, 0.6257, 0.6250, 0.6233, 0.6227, 0.6217, 0.6208, 0.6189, 0.6184,
         0.6169, 0.6160, 0.6158, 0.6150, 0.6145, 0.6104, 0.6091, 0.6095, 0.6073, 0.6061, 0.6048,
         0.6022, 0.6027, 0.6012, 0.5992, 0.5980],
}
POST_003 = {
    'loss':
        [1.5758, 1.5057, 1.4829, 1.4445, 1.4331, 1.4100, 1.4140, 1.4173, 1.4241, 1.4067],
    'acc':
        [0.8089, 0.8715, 0.8929, 0.9301, 0.9412, 0.9639, 0.9585, 0.9567, 0.9490, 0.9662],
    'val_loss':
        [1.8909, 1.7364, 1.5347, 1.5551, 1.5043, 1.5562, 1.4935, 1.7569, 1.4756, 1.4167],
    'val_acc':
        [0.4766, 0.6276, 0.8398, 0.8047, 0.8659, 0.8151, 0.8737, 0.6055, 0.9023, 0.9648],
}
POST_004 = {
    'loss':
        [0.6105, 0.3590, 0.3160, 0.2925, 0.2718, 0.2523, 0.2368, 0.2168, 0.1996, 0.1896, 0.1814,
         0.1715, 0.1678, 0.1683, 0.1618, 0.1569, 0.1566, 0.1506, 0.1497, 0.1476, 0.1426, 0.1407,
         0.1427, 0.1373, 0.1362, 0.1350, 0.1339, 0.1339, 0.1343, 0.1282, 0.1286, 0.1258, 0.1301,
         0.1253, 0.1259, 0.1249, 0.1206, 0.1229, 0.1206],
    'acc':
        [0.6161, 0.8480, 0.8695, 0.8830, 0.8895, 0.8982, 0.9076, 0.9160, 0.9213, 0.9258, 0.9285,
         0.9342, 0.9361, 0.9356, 0.9387, 0.9398, 0.9397, 0.9416, 0.9429, 0.9439, 0.9447, 0.9463,
         0.9444, 0.9467, 0.9466, 0.9474, 0.9492, 0.9499, 0.9488, 0.9513, 0.9504, 0.9506, 0.9495,
         0.9516, 0.9521, 0.9511, 0.9548, 0.9512, 0.9528],
    'val_loss':
        [0.2298, 0.8340, 0.0983, 0.5063, 0.0541, 0.5849, 0.0682, 0.6503, 0.0339, 0.5710, 0.0391,
         0.6787, 0.0451, 0.7874, 0.0483, 0.9105, 0.0380, 0.7649, 0.0507, 0.7189, 0.0377, 0.7066,
         0.0376, 0.6619, 0.0457, 0.8683, 0.0411, 0.9552, 0.0446, 0.8127, 0.0484, 0.5007, 0.0467,
         0.6061, 0.0469, 0.8658, 0.0459, 0.4516, 0.0469],
    'val_acc':
        [0.9548, 0.6604, 0.9558, 0.8385, 0.9745, 0.8060, 0.9695, 0.7660, 0.9850, 0.8033, 0.9834,
         0.7792, 0.9796, 0.7306, 0.9761, 0.7060, 0.9853, 0.7435, 0.9778, 0.7665, 0.9873, 0.7817,
         0.9877, 0.8023, 0.9844, 0.7046, 0.9855, 0.6762, 0.9859, 0.7298, 0.9857, 0.8479, 0.9859,
         0.8056, 0.9873, 0.7121, 0.9869, 0.8646, 0.9861],
}

# 3662 samples in batches of 32: 115 updates per epoch.
BATCHES_PER_EPOCH_002 = 115

LOSS_T = TagInfo("loss", "loss", "train", "epoch")
ACC_T = TagInfo("metric_up", "accuracy", "train", "epoch")
LOSS_V = TagInfo("loss", "loss", "validation", "epoch")
ACC_V = TagInfo("metric_up", "accuracy", "validation", "epoch")
BLOSS = TagInfo("loss", "loss", "train", "batch")
BACC = TagInfo("metric_up", "accuracy", "train", "batch")


def post002_batch_steps():
    """Global 1-based batch numbers of the logged updates, as Keras' callback steps them."""
    tail = [5 * BATCHES_PER_EPOCH_002 + i + 1 for i in range(BATCHES_PER_EPOCH_002 - 6, BATCHES_PER_EPOCH_002)]
    e7 = [6 * BATCHES_PER_EPOCH_002 + i + 1 for i in range(len(POST_002["epoch7_loss"]))]
    return tail, e7


def post002_case() -> Case:
    p = POST_002
    tail, e7 = post002_batch_steps()
    steps = tail + e7
    first_e7 = e7[0]
    return Case(
        name="post002_replay", family="post_replay", healthy=False, source="post 002",
        scalars={"train": {
            "batch_loss": series(p["epoch6_tail_loss"] + p["epoch7_loss"], steps),
            "batch_accuracy": series(p["epoch6_tail_acc"] + p["epoch7_acc"], steps),
            # Epochs 6 and 7 are steps 5 and 6 (Keras steps epoch values 0-based).
            "epoch_loss": series([p["epoch6_tail_loss"][-1], p["epoch7_loss"][-1]], [5, 6]),
            "epoch_accuracy": series([p["epoch6_tail_acc"][-1], p["epoch7_acc"][-1]], [5, 6]),
        }},
        infos={("train", "batch_loss"): BLOSS, ("train", "batch_accuracy"): BACC,
               ("train", "epoch_loss"): LOSS_T, ("train", "epoch_accuracy"): ACC_T},
        expect=[
            Expect("saturated_loss", "train", "batch_loss", (first_e7, first_e7)),
            Expect("saturated_loss", "train", "epoch_loss", (6, 6)),
            Expect("loss_divergence", "train", "epoch_loss", (6, 6)),
            Expect("metric_collapse", "train", "epoch_accuracy", (6, 6)),
        ])


def epoch_case(name, data, expect, source) -> Case:
    return Case(
        name=name, family="post_replay", healthy=False, source=source,
        scalars={
            "train": {"epoch_loss": series(data["loss"]), "epoch_accuracy": series(data["acc"])},
            "validation": {"epoch_loss": series(data["val_loss"]), "epoch_accuracy": series(data["val_acc"])},
        },
        infos={("train", "epoch_loss"): LOSS_T, ("train", "epoch_accuracy"): ACC_T,
               ("validation", "epoch_loss"): LOSS_V, ("validation", "epoch_accuracy"): ACC_V},
        expect=expect)


def cases() -> List[Case]:
    return [
        post002_case(),
        # Epoch 8 of the post is step 7: 0.8737 -> 0.6055 -> 0.9023 while val_loss rose 0.26.
        epoch_case("post003_replay", POST_003, [
            Expect("transient_dip", "validation", "epoch_accuracy", (7, 7)),
            Expect("low_margin", "validation", "epoch_accuracy", (7, 7)),
        ], "post 003"),
        # Alternation from the first epochs on, on both validation curves.
        epoch_case("post004_replay", POST_004, [
            Expect("oscillation", "validation", "epoch_accuracy", (0, 2)),
            Expect("oscillation", "validation", "epoch_loss", (0, 2)),
        ], "post 004"),
    ]
