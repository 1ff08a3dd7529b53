// The page's verification code, importable by Node's test runner (web/verifier/test) and bundled
// into the page by build.mjs. Nothing here touches the DOM or the network.

export { formatAmount, formatAmounts } from "./amounts.js";
export { BUNDLE_CHECKS, verifyBundle } from "./bundle.js";
export { dumps, loads } from "./canonical.js";
export { contextHash, leafHash, nodeHash, userCommitment } from "./encoding.js";
export { PROOF_CHECKS, verifyProof } from "./proof.js";
export { CannotVerify, Invalid, REASONS } from "./reasons.js";
export { bytesToHex, hexToBytes } from "./schema.js";
export { keyId, parsePinnedKey } from "./signature.js";
export { verifyInput } from "./verify.js";
