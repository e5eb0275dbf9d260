/** Tool name and version written into every file the toolkit produces. */
export const TOOL_NAME = 'p20link';
export const TOOL_VERSION = '0.1.0';
export const TOOL_ID = `${TOOL_NAME} ${TOOL_VERSION}`;
