"""The weekly person processes, one module each, in the order the model runs them:
use and purchase -> offending -> policing -> custody -> treatment -> overdose.
County lines live in `drugsim.market`; cost accounting in `drugsim.costs`."""
