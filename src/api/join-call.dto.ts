import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { pathSegmentProblem } from '../common/url';
import {
  IsOptional,
  IsString,
  MaxLength,
  MinLength,
  Validate,
  ValidationArguments,
  ValidatorConstraint,
  ValidatorConstraintInterface,
} from 'class-validator';

/** A ws:// or wss:// URL whose query has roomId and peerId. */
@ValidatorConstraint({ name: 'protooUrl' })
export class ProtooUrlConstraint implements ValidatorConstraintInterface {
  validate(value: unknown): boolean {
    if (typeof value !== 'string') return false;
    try {
      const url = new URL(value);
      return (url.protocol === 'ws:' || url.protocol === 'wss:') && !!url.searchParams.get('roomId') && !!url.searchParams.get('peerId');
    } catch {
      return false;
    }
  }

  defaultMessage(): string {
    return 'ws_url must be a ws:// or wss:// URL with roomId and peerId in its query';
  }
}

/** An http:// or https:// URL without credentials, query or fragment (callback paths are appended to it). */
@ValidatorConstraint({ name: 'httpUrl' })
export class HttpUrlConstraint implements ValidatorConstraintInterface {
  validate(value: unknown): boolean {
    return httpUrlProblem(value) === undefined;
  }

  defaultMessage(args: ValidationArguments): string {
    return `${args.property} ${httpUrlProblem(args.value)}`;
  }
}

function httpUrlProblem(value: unknown): string | undefined {
  const usage = 'must be an http:// or https:// URL without credentials';
  if (typeof value !== 'string') return usage;
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    return usage;
  }
  if ((url.protocol !== 'http:' && url.protocol !== 'https:') || url.username || url.password) return usage;
  if (value.includes('?') || value.includes('#')) {
    return 'must not have a query (?) or fragment (#): the service appends paths such as /failure/{token} to it';
  }
  return undefined;
}

/** A token the callback URLs can carry as one path segment. */
@ValidatorConstraint({ name: 'pathSegment' })
export class PathSegmentConstraint implements ValidatorConstraintInterface {
  validate(value: unknown): boolean {
    return typeof value === 'string' && pathSegmentProblem(value) === undefined;
  }

  defaultMessage(args: ValidationArguments): string {
    return `${args.property} ${pathSegmentProblem(String(args.value))}`;
  }
}

/** POST /join-call body, as the 2060 controller sends it (snake_case). */
export class JoinCallRequestDto {
  @ApiProperty({
    description: 'protoo WebSocket URL of the room; its query has roomId and peerId',
    example: 'wss://webrtc.example.com/?roomId=abc&peerId=vision-1',
  })
  @Validate(ProtooUrlConstraint)
  ws_url!: string;

  @ApiProperty({
    description: 'Base of the controller callbacks /list/{token}, /success/{token}, /failure/{token}',
    example: 'https://controller.example.com/vision',
  })
  @Validate(HttpUrlConstraint)
  callback_base_url!: string;

  @ApiPropertyOptional({ description: 'Data Store serving deprecated reference ids at /r/{id}' })
  @IsOptional()
  @Validate(HttpUrlConstraint)
  datastore_base_url?: string;

  @ApiProperty({ description: 'Opaque flow token, 1–256 characters', example: 'c0ffee' })
  // class-validator runs the lowest decorator first; with stopAtFirstError the most basic problem is reported.
  @Validate(PathSegmentConstraint)
  @MaxLength(256, { message: 'token must be at most 256 characters' })
  @MinLength(1, { message: 'token must not be empty' })
  @IsString({ message: 'token is required, as a string' })
  token!: string;

  @ApiPropertyOptional({
    description: 'Language of the instructions as a tag (es, es-AR, es_AR, EN): the exact locale, else its primary subtag, else en',
    example: 'es-AR',
  })
  @IsOptional()
  @MaxLength(64, { message: 'lang must be at most 64 characters' })
  @IsString({ message: 'lang must be a string' })
  lang?: string;
}

/** 202 answer of POST /join-call. */
export class JoinCallResponse {
  @ApiProperty()
  flow_id!: string;
  @ApiProperty()
  token!: string;
  @ApiProperty({ enum: ['accepted'] })
  status!: 'accepted';
  @ApiProperty({ description: 'The language the subject is instructed in' })
  lang!: string;
  @ApiProperty({ type: [String], description: 'The challenges selected for this flow, in order' })
  challenges!: string[];
  @ApiPropertyOptional({
    description: 'Present when the requested language is not shipped, unknown fields were ignored, or the flow was already running',
  })
  notice?: string;
}
