package wire

// NoRoute is the reply code RabbitMQ uses in basic.return for a mandatory
// message no queue was bound for. It is not in the 0-9-1 XML (which has
// only content-too-large and no-consumers around it), so it is written here
// rather than generated. It is a soft error: IsHardError(NoRoute) is false.
const NoRoute = 312
