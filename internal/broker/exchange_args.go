package broker

import (
	"errors"

	"github.com/warrenmq/warren/internal/route"
)

// validateExchangeArgs checks a new exchange's arguments as RabbitMQ's
// exchange.declare does: the alternate-exchange argument's type first
// (rabbit_channel), then the type's own validation (the exchange type
// module's validate callback). Existing exchanges are only compared for
// equivalence, so this runs for new ones only.
func validateExchangeArgs(vhost string, s ExchangeSpec) error {
	if ae, ok := s.Args["alternate-exchange"]; ok {
		if _, isStr := ae.(string); !isStr {
			return errorf(CodePreconditionFailed, "invalid type '%s' for arg 'alternate-exchange' in exchange '%s' in vhost '%s'",
				argTypeName(ae), s.Name, vhost)
		}
	}
	return validateTypeArgs(s.Type, s.Args)
}

// validateTypeArgs is the type-specific part of validateExchangeArgs.
func validateTypeArgs(typ string, args Table) error {
	switch typ {
	case TypeDelayed:
		// The plugin's validate: x-delayed-type must be a string naming an
		// existing type, whose own validation then applies. The reply
		// text is the plugin's, typos included, as clients may match it.
		inner := delayedType(args)
		if !isStringArg(args["x-delayed-type"]) {
			return errorf(CodePreconditionFailed, "Invalid argument, 'x-delayed-type' must bean existing exchnage type")
		}
		if !ValidExchangeType(inner) {
			return errorf(CodeCommandInvalid, "unknown exchange type '%s'", inner)
		}
		if inner == TypeDelayed {
			// The plugin would recurse forever; refuse instead.
			return errorf(CodePreconditionFailed, "Invalid argument, 'x-delayed-type' cannot be 'x-delayed-message'")
		}
		return validateTypeArgs(inner, args)
	case TypeConsistentHash:
		hv, hasHeader := args["hash-header"]
		pv, hasProp := args["hash-property"]
		// RabbitMQ 3.10 fails with 541 INTERNAL_ERROR (a crash) on a
		// non-string hash-header or hash-property; a 406 says why.
		if hasHeader {
			if _, ok := hv.(string); !ok {
				return errorf(CodePreconditionFailed, "invalid type '%s' for arg 'hash-header'", argTypeName(hv))
			}
		}
		if hasProp {
			p, ok := pv.(string)
			if !ok {
				return errorf(CodePreconditionFailed, "invalid type '%s' for arg 'hash-property'", argTypeName(pv))
			}
			if hasHeader {
				return errorf(CodePreconditionFailed, "hash-header and hash-property are mutually exclusive")
			}
			if hashPropertyFlag(p) == 0 {
				return errorf(CodePreconditionFailed, "Unsupported property: %s", p)
			}
		}
	}
	return nil
}

func isStringArg(v any) bool {
	switch v.(type) {
	case string, []byte:
		return true
	}
	return false
}

// ValidateBinding checks a new binding from src as the source's type
// requires (the type module's validate_binding in RabbitMQ): a
// consistent-hash exchange's binding key is its weight, a positive integer.
// Bind calls it before adding a binding.
func ValidateBinding(src *Exchange, key string, args Table) error {
	typ := src.typ
	if typ == TypeDelayed {
		typ = delayedType(src.args)
	}
	switch typ {
	case TypeConsistentHash:
		if _, err := route.ParseWeight(key); err != nil {
			if errors.Is(err, route.ErrWeightNotPositive) {
				return errorf(CodePreconditionFailed, "The binding key must be greater than 0")
			}
			// Erlang's ~p of a binary, as RabbitMQ prints it.
			return errorf(CodePreconditionFailed, "The binding key must be an integer: <<\"%s\">>", key)
		}
	case TypeHeaders:
		if err := route.ValidateHeadersArgs(args); err != nil {
			return errorf(CodePreconditionFailed, "%v", err)
		}
	}
	return nil
}
