import { existsSync, readFileSync } from 'node:fs';
import { isIP } from 'node:net';
import { join } from 'node:path';
import { parseEnv } from 'node:util';
import type { AppConfig } from './app-config';

/** A line the entry point logs about its configuration once the logger is set up. */
export interface StartupNote {
  level: 'info' | 'warn';
  message: string;
}

/** The variables of `.env` in `dir` (empty when there is none) and the note saying what was read. */
export function readEnvFile(dir: string): { values: Record<string, string>; note: StartupNote } {
  const path = join(dir, '.env');
  if (!existsSync(path)) return { values: {}, note: { level: 'info', message: `configuration: environment only (no ${path})` } };
  const values = parseEnv(readFileSync(path, 'utf8')) as Record<string, string>;
  const count = Object.keys(values).length;
  return { values, note: { level: 'info', message: `configuration: read ${path} (${count} variables; the environment wins over it)` } };
}

/**
 * Variables of the 2060 Python vision service that have no equivalent here, with why. They are accepted (a 2060
 * deployment's .env keeps working) and named in a start-up warning. Names this service reads are never listed.
 */
const UNSUPPORTED_2060: Record<string, string> = {
  GLASSES_DETECTOR_MODE: 'there is no glasses detector',
  ENABLE_DEBUG_ENDPOINTS: 'there are no debug endpoints (DEBUG_SAVE_FRAMES writes face images for development)',
  CERT_FILE_APP: 'the service speaks plain HTTP; terminate TLS in front of it',
  KEY_FILE_APP: 'the service speaks plain HTTP; terminate TLS in front of it',
  VERIFICATION_INDEX_PATH: 'there is no verification web page',
  VERIFICATION_CLIENT_JS_PATH: 'there is no verification web page',
  CAPTURE_INDEX_PATH: 'there is no capture web page',
  OFFER_PATH: 'there is no WebRTC offer endpoint; rooms are joined with POST /join-call',
  PICTURE_PATH: 'there is no picture endpoint',
  CONNECT_TO_MEDIASOUP_SERVER_PATH: 'the join endpoint is always POST /join-call',
  REQUESTER_STATUS_PATH: 'flow status is GET /flows/{flow_id}',
  FFMPEG_LOG_LEVEL: 'no FFmpeg is used',
};

/** The 2060 service's (misspelt) name for debug logs; VERBOSE is the documented one. */
const VERBOSE_2060 = 'VERVOSE_APP';

/** `env` with the 2060 names that have an equivalent applied: VERBOSE / VERVOSE_APP mean LOG_LEVEL=debug unless it is set. */
export function with2060Names(env: NodeJS.ProcessEnv): NodeJS.ProcessEnv {
  const verbose = /^(1|true|yes|on)$/i.test(env.VERBOSE?.trim() ?? '') || !!env[VERBOSE_2060]?.trim();
  return verbose && !env.LOG_LEVEL?.trim() ? { ...env, LOG_LEVEL: 'debug' } : env;
}

/** Warnings for set 2060 variables that have no effect here (`known`: every variable this service reads). */
export function unsupported2060Notes(env: NodeJS.ProcessEnv, known: ReadonlySet<string>): StartupNote[] {
  return Object.entries(UNSUPPORTED_2060)
    .filter(([name]) => env[name] !== undefined && !known.has(name))
    .map(([name, why]) => ({ level: 'warn', message: `${name} is a 2060 vision service setting with no effect here: ${why}` }));
}

function isLoopback(host: string): boolean {
  const address = host.replace(/^\[|\]$/g, '').toLowerCase();
  if (address === 'localhost' || address === '::1') return true;
  return isIP(address) === 4 && address.startsWith('127.');
}

/** A warning when anyone who reaches the port can use every endpoint. */
export function exposureNotes(config: AppConfig): StartupNote[] {
  if (config.server.VISION_API_KEY || isLoopback(config.server.HOST)) return [];
  return [
    {
      level: 'warn',
      message: `bound to ${config.server.HOST} without VISION_API_KEY: anyone who reaches the port can use every endpoint; set VISION_API_KEY`,
    },
  ];
}
