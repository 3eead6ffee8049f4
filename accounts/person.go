package accounts

import "fmt"

// Messages for the person on a connect page: plain words about what
// happened and what to do, never HTTP codes, error codes or tool names
// (those are for the agent, in tool results and logs). The person got the
// link from an app or an agent, and asks it for a new one.

const askAgain = "Ask for a new link where you got this one."

// credentialRefused says why a service refused a credential a person
// pasted or a token a sign-in produced, telling a rejected credential from
// a service that could not be reached or is limiting requests.
func credentialRefused(service string, err error) string {
	code := ErrorOf(err).Code
	switch {
	case isUnauthorized(err):
		return fmt.Sprintf("%s did not accept this credential. Check that you copied all of it and that it has not expired or been revoked, then try again.", service)
	case code == CodeUpstreamUnavailable:
		return fmt.Sprintf("Switchboard could not reach %s just now, so the credential could not be checked. Try again in a moment.", service)
	case code == CodeUpstreamRateLimited:
		return fmt.Sprintf("%s is limiting requests right now, so the credential could not be checked. Try again in a minute.", service)
	}
	return fmt.Sprintf("%s did not accept this credential: it may lack the access Switchboard needs. Check it and try again.", service)
}

// signInRefused says why a sign-in that produced a token still failed: the
// service did not answer who signed in.
func signInRefused(service string, err error) string {
	switch ErrorOf(err).Code {
	case CodeUpstreamUnavailable, CodeUpstreamRateLimited:
		return fmt.Sprintf("Switchboard could not reach %s to confirm who signed in, so nothing was connected. %s", service, askAgain)
	}
	return fmt.Sprintf("%s did not confirm who signed in, so nothing was connected. %s", service, askAgain)
}
