// Byte sizes for people: moved to common/units.ts (the client and the webview format with it too).
export * from '../../../common/units';
