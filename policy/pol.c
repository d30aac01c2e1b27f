#include "pol_int.h"
