// Package wsnative implements the WebSocket protocol (RFC 6455) in plain Go,
// with the checks, their order and the error strings of OpenResty's
// lua-resty-websocket, so that the Lua layer of luaws can hand results to
// unmodified OpenResty handlers.
//
// The package has four parts:
//
//   - frames: [Reader] parses frames (section 5.2) from a stream; [WriteFrame],
//     [AppendFrame] and [AppendHeader] build them; [CheckSend] validates an
//     outgoing frame as upstream's send_frame does;
//   - masking (section 5.3): [Mask] and [NewMaskKey];
//   - close frames (section 5.5.1): [AppendClosePayload], [ParseClosePayload];
//   - opening handshakes (section 4): [ParseRequestHead], [CheckServerRequest]
//     and [AcceptKey] on the server side, [AppendClientRequest], [NewClientKey]
//     and [CheckClientResponse] on the client side.
//
// Errors that OpenResty reports as strings are values here whose Error method
// returns exactly OpenResty's text, so the Lua binding can pass err.Error()
// through unchanged. I/O failures while reading a frame are [*IOError]s, whose
// text names the stage of the frame being read, followed by the word that
// lua-nginx-module's cosockets use for the failure ([Reason]).
//
// Nothing here is safe for concurrent use unless its documentation says so;
// a connection is expected to have one reader and one writer at a time.
package wsnative
