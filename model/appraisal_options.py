"""The appraisal's named choices, without heavy imports, so that the command line can offer them at once."""

PERSPECTIVES = ("public", "societal")
#: How a death averted is valued in the societal perspective: QALYs (the Green Book's default for health) or the
#: value of a prevented fatality (its alternative, used in transport and safety appraisal).
LIFE_VALUES = ("qaly", "vpf")
#: What a budget's portfolio search may maximise: a column of the per-run appraisal, and what it means.
OBJECTIVES = {
    "qalys": ("qalys_gained", "QALYs gained (discounted)"),
    "net_benefit": ("societal:npv", "Societal net present value (GBP)"),
    "public_net_benefit": ("public:npv", "Public sector net present value (GBP)"),
    "deaths_averted": ("deaths_averted", "Drug deaths averted"),
}
