/**
 * XML namespaces of EWS (SOAP 1.1). The server reads requests by namespace URI and local
 * name, never by prefix: Microsoft's own request samples put the messages namespace in a
 * default xmlns, while ews-javascript-api uses `m:` and `t:` prefixes.
 */
export const NS = {
  soap: 'http://schemas.xmlsoap.org/soap/envelope/',
  messages: 'http://schemas.microsoft.com/exchange/services/2006/messages',
  types: 'http://schemas.microsoft.com/exchange/services/2006/types',
  errors: 'http://schemas.microsoft.com/exchange/services/2006/errors',
  xsi: 'http://www.w3.org/2001/XMLSchema-instance',
  xsd: 'http://www.w3.org/2001/XMLSchema',
} as const;
