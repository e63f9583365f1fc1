import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';

/** POST /face_match body, as io2060/vision-matcher takes it. */
export class FaceMatchRequestDto {
  @ApiProperty({ description: 'data:image/...;base64 URL or http(s) URL of the first image' })
  image1_url!: string;

  @ApiProperty({ description: 'data:image/...;base64 URL or http(s) URL of the second image' })
  image2_url!: string;
}

/** POST /face_match answer, as io2060/vision-matcher gives it. */
export class FaceMatchResponseDto {
  @ApiProperty({
    description:
      "Distance of the two largest faces on vision-matcher's scale (match below 0.4): raw_distance x 0.4 / raw_threshold; 1 when a face is missing",
  })
  distance!: number;

  @ApiProperty()
  match!: boolean;

  @ApiPropertyOptional({ description: 'Milliseconds since the epoch, unique per process', example: 1764633600000 })
  requestId?: number;

  @ApiPropertyOptional({ description: "The embedded model's own cosine distance" })
  raw_distance?: number;

  @ApiPropertyOptional({ description: "The embedded model's threshold (MATCH_THRESHOLD or its calibrated default)" })
  raw_threshold?: number;

  @ApiPropertyOptional({ example: 'No faces detected in one or both images.' })
  error?: string;
}
